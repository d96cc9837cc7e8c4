"""`roomcast bench`: an open-loop WebSocket load generator, run in its own process.

Layout: `targets` starts (or finds) the server under test and sets it up (over its REST API;
`seed` writes S4's accounts and sessions straight into the database of a roomcast started
here), `dialects` speaks each server's frames, `load` holds the connections and the stepped
sender, `report` prints the tables, `scenarios` names the scenarios (S1-S4) and opens their
sockets, `cli` parses the command line, `extra` checks the "bench" extra first. `baselines`
holds the servers roomcast is compared with; `server_comparison` (`roomcast bench servers`)
and `scaled_mode` (`roomcast bench scaled`) run `roomcast bench` against roomcast under other
ASGI servers and in scaled mode (`postgres` makes their PostgreSQL databases). `search`
(`roomcast bench search`) measures full-text search instead: `corpus` writes the text,
`search_rows` the rows, `search_databases` fills SQLite and PostgreSQL, `search_queries` and
`search_writes` time the store's queries and the group commit, `search_report` prints them.
Nothing here is imported by `roomcast serve`.
"""
