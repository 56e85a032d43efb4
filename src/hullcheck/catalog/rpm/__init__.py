"""RPM databases (SQLite, Berkeley DB hash, NDB) and the header blobs they store, in pure Python."""
