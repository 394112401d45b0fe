-- Run once by the postgis image when its data volume is new, after the image's own script
-- has put PostGIS (with topology and the tiger geocoder) into schema public of the database.
-- CKAN's `db clean` drops every table it sees through the search_path and cannot drop
-- PostGIS's spatial_ref_sys, so PostGIS moves to its own schema, kept off the search_path
-- (SQL names it postgis.*), as scripts/database.sh does for a local database.
DROP EXTENSION IF EXISTS postgis_tiger_geocoder, postgis_topology, postgis;
ALTER DATABASE twin RESET search_path;
CREATE SCHEMA postgis;
CREATE EXTENSION postgis SCHEMA postgis;
CREATE EXTENSION IF NOT EXISTS unaccent;
