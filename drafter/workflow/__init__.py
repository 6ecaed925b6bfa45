"""The database side: tables, migrations, accounts, audit, numbered versions, the inbox, the
explainer queue, publishing approved text into the knowledge base."""
