"""`ddbguard audit`: live accounts, fetched once per region into snapshots that the live checks read."""
