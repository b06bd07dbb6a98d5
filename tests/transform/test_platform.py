"""Coarse platform families from the export's free-text `platform` (transform/platform.py)."""

from __future__ import annotations

import pytest

from transform.platform import platform_family


@pytest.mark.parametrize(
    ("raw", "family"),
    [
        # 2013-2022 free text, with device models
        ("Android OS 4.2.2 API 17 (samsung, GT-I9195)", "android"),
        ("Android OS 9 API 28 (samsung, SM-G960F)", "android"),
        ("Android-tablet OS 5.0.2 API 21 (samsung, SM-T530)", "android"),
        ("iOS 14.4 (iPhone12,1)", "ios"),
        ("iOS 9.3.2 (iPad4,1)", "ios"),
        ("Windows 10 (10.0.17134; x64)", "windows"),
        ("Windows 7 (6.1.7601; x64; SP1; S)", "windows"),
        ("OS X 10.15.7 [x86 8]", "osx"),
        ("OS X 10.12.6 [x86 4]", "osx"),
        ("Linux [x86-64 0]", "linux"),
        ("web_player windows 10;chrome 95.0.4638.69;desktop", "web"),
        ("web_player osx 10.15.7;safari 15.1;desktop", "web"),
        ("WebPlayer (websocket RFC6455)", "web"),
        ("Partner sonos_amp Sonos;Amp", "speaker"),
        ("Partner amazon_salmon Amazon;Echo_Dot;", "speaker"),
        ("Partner google cast_tv", "cast"),
        ("Partner android_tv Sony;BRAVIA 4K GB", "tv"),
        ("Partner samsung_tv Samsung;UE55", "tv"),
        ("Partner ps4 Sony;PS4", "console"),
        ("Partner xbox_one Microsoft;XboxOne", "console"),
        ("Partner tesla Tesla;Model3", "car"),
        ("Android Automotive", "car"),
        ("CarPlay", "car"),
        # 2023+ short values
        ("android", "android"),
        ("ios", "ios"),
        ("windows", "windows"),
        ("osx", "osx"),
        ("macos", "osx"),
        ("linux", "linux"),
        ("web_player", "web"),
        ("android_tv", "tv"),
        ("cast", "cast"),
        ("chromecast", "cast"),
        ("tvos", "tv"),
        ("webos", "tv"),
        ("sonos", "speaker"),
        # no family
        ("Nokia 3310", "other"),
        ("unknown", "other"),
        ("mackerel", "other"),  # not a Mac
        ("", None),
        ("  ;  ", None),
        (None, None),
    ],
)
def test_raw_platform_strings_map_to_their_family(raw, family):
    assert platform_family(raw) == family


def test_family_never_carries_the_device_model():
    assert platform_family("Android OS 9 API 28 (samsung, SM-G960F)") == "android"
    families = {"android", "ios", "windows", "osx", "linux", "web", "cast", "speaker", "tv", "car", "console"}
    for raw in ("GT-I9195", "SM-G960F (samsung)", "Fairphone FP4", "Pixel 7 Pro"):
        assert platform_family(raw) in families | {"other"}
