package postgres

// LoadMigrations exposes the migration loader to the black-box tests.
var LoadMigrations = loadMigrations
