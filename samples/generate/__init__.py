"""Deterministic generator of synthetic but realistic Spotify privacy exports (sample, tests, benchmarks).

Everything here is invented: artists, tracks, shows, people. IP addresses come only from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and e-mail
addresses from example.com. The shapes follow ../shared/notes/spotify.md §1:

- vintage `modern` (extended export since ~Nov 2024): `Spotify Extended Streaming History/
  Streaming_History_Audio_<years>_<n>.json` with `ip_addr` and `audiobook_*`, no `username`;
- vintage `2023`: same folder and names, the older fields (`username`, `ip_addr_decrypted`,
  `user_agent_decrypted`, no `audiobook_*`); account data in `MyData/`;
- vintage `legacy`: `MyData/endsong_<n>.json`, `MyData/endvideo.json`, `MyData/StreamingHistory<n>.json`;
- vintage `account`: only the account-data package (`Spotify Account Data/StreamingHistory_music_<n>.json`
  and the other account files).

Listening is simulated session by session: a taste that drifts (favourites, phases), albums
played in order, shuffled playlists with skips (< 30 s, some 0 ms), podcasts, audiobook chapters
(modern only), a few rows with no metadata, and Spotify's oddities (rows sharing a `ts`, exact
duplicate rows repeated across two files, `offline_timestamp` in ms before 2023 and in s from 2023,
a few junk 0/tiny values). Account-data rows are the extended rows of the last year at minute
precision (some dropped), plus plays from the days between the two packages.

A fixed seed gives byte-identical zips (fixed entry timestamps and attributes).

    python -m samples.generate --out samples/my_spotify_data.zip --force   # the bundled sample
    python -m samples.generate --out /tmp/x.zip --streams 20000 --vintage legacy --files 4
    python -m samples.generate --out /tmp/big.zip --streams 300000 --large

The package, one job a module:

- `vintages`: the vintages, their field sets and folders, the history kinds, the bundled sample's settings;
- `clock`: epoch milliseconds and ISO timestamps;
- `names`: the word lists, made-up shows and books, `spotify_id`;
- `library`: the fictional catalogue (`Track`, `Artist`, `Library`, `build_library`);
- `persona`: the account holder, devices and platform strings, IP addresses;
- `listening`: the session-by-session simulation of one listener;
- `records`: the public record generators (extended, video, account-data history);
- `account_files`: the other account-data files (Userdata, Playlist1, ...);
- `encoding`: JSON as Spotify pretty-prints it, and a tiny PDF;
- `zipwriter`: a zip writer with fixed entry times and attributes;
- `export`: whole exports (`write_export_zip`, `write_large_extended_zip`, `write_sample`);
- `__main__`: the command line.
"""

from samples.generate.encoding import ACCOUNT_KV, EXTENDED_KV, json_array
from samples.generate.export import ExportStats, write_export_zip, write_large_extended_zip, write_sample
from samples.generate.records import account_records, extended_records, video_records
from samples.generate.vintages import (
    SAMPLE_FILES,
    SAMPLE_PATH,
    SAMPLE_SEED,
    SAMPLE_STREAMS,
    VINTAGES,
    Vintage,
)

__all__ = [
    "ACCOUNT_KV",
    "EXTENDED_KV",
    "SAMPLE_FILES",
    "SAMPLE_PATH",
    "SAMPLE_SEED",
    "SAMPLE_STREAMS",
    "VINTAGES",
    "ExportStats",
    "Vintage",
    "account_records",
    "extended_records",
    "json_array",
    "video_records",
    "write_export_zip",
    "write_large_extended_zip",
    "write_sample",
]
