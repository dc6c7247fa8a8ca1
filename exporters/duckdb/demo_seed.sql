-- Demo DuckDB database for the dev stack: the `metrics` table the exporter reads.
-- Shape (see exporter.py): name VARCHAR, value numeric, optional labels MAP(VARCHAR, VARCHAR).
-- Each row is exported as the gauge duckdb_metric_<name>{<labels>}.
CREATE TABLE metrics (
    name       VARCHAR NOT NULL,
    value      DOUBLE  NOT NULL,
    labels     MAP(VARCHAR, VARCHAR),
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

INSERT INTO metrics (name, value, labels) VALUES
    ('transaction_success_rate', 0.997, NULL),
    ('query_p99_seconds', 0.042, NULL),
    ('trades_executed', 125000, NULL),
    ('orders_pending', 3, NULL),
    ('open_positions', 42, MAP {'desk': 'equities'}),
    ('open_positions', 17, MAP {'desk': 'fx'}),
    ('last_write_timestamp_seconds', epoch(current_timestamp), NULL);

-- A second table the exporter must never be able to change (write-attempt tests use it too).
CREATE TABLE trades (
    id       BIGINT PRIMARY KEY,
    symbol   VARCHAR NOT NULL,
    quantity INTEGER NOT NULL,
    price    DECIMAL(18, 4) NOT NULL
);

INSERT INTO trades VALUES
    (1, 'ACME', 100, 12.5000),
    (2, 'GLOBEX', -50, 99.1000),
    (3, 'INITECH', 10, 7.2500);

CHECKPOINT;
