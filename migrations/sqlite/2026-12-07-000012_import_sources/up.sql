-- Which source record each imported row came from: an import matches a file's comment on this, never on a
-- bare id (comments made through the API take ids from the same sequence, and an import must not rewrite
-- them). `kind` names the file's section; one row per (kind, source id) and per (kind, row).
CREATE TABLE import_sources (
    kind      TEXT   NOT NULL,
    source_id BIGINT NOT NULL,
    row_id    BIGINT NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE UNIQUE INDEX import_sources_row_idx ON import_sources (kind, row_id);
