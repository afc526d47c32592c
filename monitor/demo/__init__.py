"""A self-contained sample web with planted re-uploads, for `monitor demo` and the tests.

Every picture here is drawn by code (shapes and gradients), never a photo of a person.
"""
