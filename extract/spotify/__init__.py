"""The Spotify Web API: the daily pull of recently played and top items, and catalog enrichment."""
