"""Spotify privacy exports: validate an upload and land its streaming-history files in raw/."""
