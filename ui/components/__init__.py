"""The pages' widgets: each module is one section of a page or a piece several pages share; the
scripts in ui/views only compose them."""
