-- Exactly one publisher at a time (the app or `reachloop-cli agent`, which
-- may run on the same data directory): the one holding this row's lease.
-- It renews the lease every round; a holder that died loses it when it runs out.
CREATE TABLE publisher_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    until       TEXT NOT NULL
);
