"""Clinical logic of the DVT home-care triage assistant.

Plain Python with no Rasa import: the criteria, the answer interpreter and the
red-flag detector can be read next to the source article and unit-tested directly.
"""
