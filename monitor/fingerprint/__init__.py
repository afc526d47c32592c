"""Decode, normalise and hash images, and match hashes against enrolled ones. Pure: no I/O."""

from monitor.fingerprint.decode import decode_image
from monitor.fingerprint.fingerprinter import (
    fingerprint_candidate,
    fingerprint_enrolled,
    fingerprint_image,
)
from monitor.fingerprint.hashes import (
    ALGORITHMS,
    ORIENTATIONS,
    VARIANTS,
    WHOLE_VARIANTS,
    Hash,
    hamming,
)
from monitor.fingerprint.hashfile import (
    FingerprintItem,
    dump_fingerprint_file,
    load_fingerprint_file,
)
from monitor.fingerprint.matching import IndexEntry, Match, MatchIndex, MatchSettings
from monitor.fingerprint.trim import trim_borders

__all__ = [
    "ALGORITHMS",
    "ORIENTATIONS",
    "VARIANTS",
    "WHOLE_VARIANTS",
    "FingerprintItem",
    "Hash",
    "IndexEntry",
    "Match",
    "MatchIndex",
    "MatchSettings",
    "decode_image",
    "dump_fingerprint_file",
    "fingerprint_candidate",
    "fingerprint_enrolled",
    "fingerprint_image",
    "hamming",
    "load_fingerprint_file",
    "trim_borders",
]
