"""The store: the schema the migrations make, the hot path's private names."""
