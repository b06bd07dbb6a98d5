"""Raw → curated: cleaning landed files into Parquet against declared Arrow schemas."""
