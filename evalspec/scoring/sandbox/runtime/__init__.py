"""The in-sandbox program (fork server, candidate, checker): standard library only.

The host ships these modules as source text to `python -I -S -c` (see launch.py); they
import only each other and the standard library.
"""
