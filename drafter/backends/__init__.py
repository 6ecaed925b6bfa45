"""Chat backends behind one narrow protocol: llama.cpp in-process and OpenAI-compatible
servers; the only place that imports llama_cpp and langchain chat models."""
