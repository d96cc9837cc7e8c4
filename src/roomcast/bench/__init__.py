"""`roomcast bench`: an open-loop WebSocket load generator, run in its own process.

Layout: `targets` starts (or finds) the server under test and speaks its set-up protocol,
`load` holds the connections and the stepped sender, `report` prints the tables, `cli` parses
the command line and names the scenarios (S1, S2, S3).
"""
