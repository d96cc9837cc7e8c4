"""`roomcast bench`: an open-loop WebSocket load generator, run in its own process.

Layout: `targets` starts (or finds) the server under test and speaks its set-up protocol,
`load` holds the connections and the stepped sender, `report` prints the tables, `cli` parses
the command line and names the scenarios (S1, S2, S3), `extra` checks the "bench" extra first.
`baselines` holds the servers roomcast is compared with; `server_comparison` (`roomcast bench
servers`) and `scaled_mode` (`roomcast bench scaled`) run `roomcast bench` against roomcast
under other ASGI servers and in scaled mode. Nothing here is imported by `roomcast serve`.
"""
