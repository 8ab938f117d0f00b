"""Files: the model-file parser and reader, claim files, growth-rate data, one TOML loader, one atomic
writer and output folders, and the registry that resolves a model by name.
"""
