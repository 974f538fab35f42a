-- A test service's migration, applied after ServiceDefaults' own.
CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);
