"""Videos as one item of frame fingerprints; images and videos found on the web matched to it."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from monitor.demo.pictures import draw_picture
from monitor.errors import VideoDecodeError, VideoTooLargeError
from monitor.fingerprint import (
    Hash,
    IndexEntry,
    MatchIndex,
    MatchSettings,
    fingerprint_candidate,
    fingerprint_enrolled,
)
from monitor.fingerprint.video import (
    VideoMatchRule,
    fingerprint_candidate_video,
    fingerprint_enrolled_video,
    frames_of,
    is_video_fingerprint,
    match_video,
)
from monitor.fingerprint.video_decode import VideoLimits, sample_frames, video_container
from tests.videos import Clip, Shot, cuts_between, encode_clip

SIZE = (192, 108)
OURS = cuts_between(
    [draw_picture(seed, size=(480, 360)) for seed in (11, 12, 13)], seconds=2.0, size=SIZE
)
OTHERS = cuts_between(
    [draw_picture(seed, size=(480, 360)) for seed in (21, 22, 23, 24)], seconds=2.0, size=SIZE
)
LIMITS = VideoLimits.for_seconds(60, max_pixels=10_000_000)
VIDEO_ITEM = 1


@pytest.fixture(scope="module")
def enrolled() -> tuple[Hash, ...]:
    return fingerprint_enrolled_video(encode_clip(OURS), limits=LIMITS)


@pytest.fixture(scope="module")
def index(enrolled: tuple[Hash, ...]) -> MatchIndex:
    """Our video as item 1, and the unrelated clip's pictures enrolled as images 2-5."""
    entries = [IndexEntry("k1", VIDEO_ITEM, h) for h in enrolled]
    for number, shot in enumerate(OTHERS.shots, start=2):
        picture = _jpeg(shot.picture, quality=90)
        entries += [
            IndexEntry("k1", number, h) for h in fingerprint_enrolled(picture, max_pixels=10**8)
        ]
    return MatchIndex(entries, settings=MatchSettings())


def _jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)  # in memory only
    return buffer.getvalue()


def test_an_enrolled_video_is_one_set_of_frames_one_to_four_a_second(
    enrolled: tuple[Hash, ...],
) -> None:
    """6 s: a frame a second, each cut, and more while a fast pan or zoom moves the picture on
    (the still shot's repeats are dropped), never more than four a second."""
    frames = frames_of(enrolled)
    assert 6 <= len(frames) <= 6 * 4
    assert list(frames) == [f"f{number:04d}" for number in range(len(frames))]
    assert is_video_fingerprint(enrolled)
    for hashes in frames.values():
        variants = {h.variant.partition(":")[2] for h in hashes}
        assert variants >= {"", "flip"}, "as it is and mirrored; frames are not rotated"
        assert variants <= {"", "flip", "crop43", "crop11"}, "16:9 cut to thumbnail shapes"
        assert {h.algorithm for h in hashes} == {"pdq", "phash", "dhash"}


@pytest.mark.parametrize("aspect", [4 / 3, 1.0])
def test_a_thumbnail_cut_from_the_middle_of_a_frame_matches(
    index: MatchIndex, aspect: float
) -> None:
    frame = OURS.frame_at(4.2)
    width = round(frame.height * aspect)
    left = (frame.width - width) // 2
    thumbnail = frame.crop((left, 0, left + width, frame.height))
    matches = index.match(fingerprint_candidate(_jpeg(thumbnail, quality=75), max_pixels=10**8))
    assert [match.item_id for match in matches] == [VIDEO_ITEM]


def test_a_still_video_keeps_one_frame() -> None:
    still = Clip(shots=(Shot(OURS.shots[0].picture, 4.0, "still"),), size=SIZE)
    hashes = fingerprint_enrolled_video(encode_clip(still), limits=LIMITS)
    assert list(frames_of(hashes)) == ["f0000"]


@pytest.mark.parametrize("seconds", [0.2, 1.45, 2.6, 3.3, 4.75, 5.9])
def test_a_frame_from_anywhere_resized_and_reencoded_matches_the_video(
    index: MatchIndex, seconds: float
) -> None:
    frame = OURS.frame_at(seconds)
    thumbnail = frame.resize((frame.width * 3 // 4, frame.height * 3 // 4))
    matches = index.match(fingerprint_candidate(_jpeg(thumbnail, quality=60), max_pixels=10**8))
    assert [match.item_id for match in matches] == [VIDEO_ITEM]


def test_a_mirrored_thumbnail_matches_the_video(index: MatchIndex) -> None:
    mirrored = OURS.frame_at(3.0).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    matches = index.match(fingerprint_candidate(_jpeg(mirrored, quality=70), max_pixels=10**8))
    assert [match.item_id for match in matches] == [VIDEO_ITEM]


def test_an_unrelated_picture_matches_no_frame(index: MatchIndex) -> None:
    unrelated = draw_picture(99, size=SIZE)
    assert index.match(fingerprint_candidate(_jpeg(unrelated, quality=80), max_pixels=10**8)) == []


def test_an_excerpt_reencoded_smaller_as_webm_is_found(index: MatchIndex) -> None:
    excerpt = encode_clip(OURS, start=1.5, seconds=3.5, size=(128, 72), container="webm")
    hashes = fingerprint_candidate_video(excerpt, limits=LIMITS)
    [found] = match_video(index, hashes, rule=VideoMatchRule())
    assert found.item_id == VIDEO_ITEM
    assert found.frames_matched >= 3
    assert found.frames_matched / found.frames >= 0.8
    assert found.evidence.endswith(f"{found.frames_matched}/{found.frames} frames")
    assert len(found.evidence) <= 32


def test_an_unrelated_video_matches_no_video_item(index: MatchIndex) -> None:
    other = Clip(shots=(Shot(draw_picture(98, size=(480, 360)), 4.0),), size=SIZE)
    hashes = fingerprint_candidate_video(encode_clip(other), limits=LIMITS)
    assert frames_of(hashes)
    assert match_video(index, hashes, rule=VideoMatchRule()) == []


def test_a_moment_of_the_video_in_another_is_not_enough(index: MatchIndex) -> None:
    """Under a second of ours gives one or two matching frames: fewer than the rule's three."""
    other = draw_picture(97, size=(480, 360))
    brief = Clip(shots=(Shot(OURS.shots[1].picture, 0.6, "still"), Shot(other, 8.0)), size=SIZE)
    hashes = fingerprint_candidate_video(encode_clip(brief), limits=LIMITS)
    assert not [m for m in match_video(index, hashes, rule=VideoMatchRule()) if m.item_id == 1]
    longer = Clip(shots=(Shot(OURS.shots[0].picture, 3.5), Shot(other, 8.0)), size=SIZE)
    hashes = fingerprint_candidate_video(encode_clip(longer), limits=LIMITS)
    assert [m.item_id for m in match_video(index, hashes, rule=VideoMatchRule())] == [1]


@pytest.mark.parametrize("container", ["mp4", "webm", "mov", "avi"])
def test_every_supported_container_is_read(container: str) -> None:
    data = encode_clip(OURS, container=container, seconds=2.0)
    assert video_container(data) is not None
    assert len(list(sample_frames(data, limits=LIMITS))) >= 2


def test_sampling_stops_at_max_seconds_without_failing() -> None:
    data = encode_clip(OURS)
    limits = VideoLimits.for_seconds(2.5, max_pixels=10_000_000)
    times = [frame.seconds for frame in sample_frames(data, limits=limits)]
    assert times
    assert max(times) <= 2.5


def test_frame_names_are_valid_variants_and_others_are_not() -> None:
    pdq = "0" * 64
    for variant in ("f0012", "f0012:flip", "f0012:trimmed", "f123456:trimmed-flip", "f0001:crop43"):
        assert Hash("pdq", pdq, variant).variant == variant
    for variant in ("f12", "f0012:rot90", "x0012", "f0012:"):
        with pytest.raises(ValueError, match="unknown variant"):
            Hash("pdq", pdq, variant)


# --- hostile input: each fails alone with a reason --------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage" * 500, "not a video"),
        (b"#EXTM3U\n#EXT-X-VERSION:3\nfile:///etc/passwd\n", "not a video"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, "corrupt"),
        (b"\x1a\x45\xdf\xa3" + b"\xff" * 5000, "corrupt"),
        (b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x00" * 3000, "corrupt"),
    ],
)
def test_garbage_is_a_decode_error(data: bytes, reason: str) -> None:
    with pytest.raises(VideoDecodeError, match=reason):
        fingerprint_candidate_video(data, limits=LIMITS)


def test_a_truncated_mp4_is_a_decode_error() -> None:
    data = encode_clip(OURS)  # the index (moov) is written last: the first part alone is useless
    with pytest.raises(VideoDecodeError, match=r"truncated|corrupt"):
        fingerprint_candidate_video(data[: len(data) * 2 // 3], limits=LIMITS)


def test_a_truncated_webm_gives_the_frames_before_the_break() -> None:
    data = encode_clip(OURS, container="webm")
    whole = frames_of(fingerprint_candidate_video(data, limits=LIMITS))
    part = frames_of(fingerprint_candidate_video(data[: len(data) // 2], limits=LIMITS))
    assert 0 < len(part) < len(whole)


def test_an_audio_only_file_has_no_video_stream() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as output:
        stream = output.add_stream("libopus", rate=48000)
        for number in range(20):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 960), dtype=np.float32), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts = 48000, number * 960
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    with pytest.raises(VideoDecodeError, match="no video stream"):
        fingerprint_candidate_video(buffer.getvalue(), limits=LIMITS)


def test_a_codec_outside_the_list_is_refused() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mov") as output:
        stream = output.add_stream("png", rate=2)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        for number in range(2):
            frame = av.VideoFrame.from_image(draw_picture(number, size=(64, 48)))
            frame.pts, frame.time_base = number, Fraction(1, 2)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    with pytest.raises(VideoDecodeError, match="'png'"):
        fingerprint_candidate_video(buffer.getvalue(), limits=LIMITS)


def test_frames_larger_than_the_pixel_cap_are_refused_before_decoding() -> None:
    limits = VideoLimits.for_seconds(60, max_pixels=100 * 100)
    with pytest.raises(VideoTooLargeError, match="max_video_pixels"):
        fingerprint_candidate_video(encode_clip(OURS, seconds=1.0), limits=limits)


def test_a_flood_of_frames_in_little_time_is_refused() -> None:
    """Thousands of tiny frames in a second: cheap to send, costly to decode."""
    flood = encode_clip(OURS, fps=1000, seconds=1.2, size=(32, 32))
    with pytest.raises(VideoTooLargeError, match="more than 360 frames"):
        fingerprint_candidate_video(flood, limits=VideoLimits.for_seconds(1.0, max_pixels=10**6))


def test_decoding_stops_at_the_wall_clock_limit() -> None:
    limits = VideoLimits(max_seconds=60, max_pixels=10**7, max_frames=10**5, max_decode_seconds=0)
    with pytest.raises(VideoTooLargeError, match="max_video_decode_seconds"):
        fingerprint_candidate_video(encode_clip(OURS), limits=limits)
