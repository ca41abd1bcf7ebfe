"""Constants the classroom tests share (a helper module: test dirs have no ``__init__.py``)."""

#: The instructor's upstream key in these tests: the key-leak test searches every byte for it.
UPSTREAM_KEY = "upk-7f3a9c0d12e4b5a6-ClassroomTest-0123456789abcdef"
MODEL = "gemini-3.1-flash-image"
