"""Turning a classifier Finding into plain-language text: generators, the guard, model loading.

``inference.py`` is the public face of this package (the specification's three functions).
"""
