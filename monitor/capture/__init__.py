"""Captures of a page at first sight (WARC and screenshot), sealed to the client's age key."""
