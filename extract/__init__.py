"""Getting data into raw/: privacy-export uploads and the Spotify Web API."""
