package mysql

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the MySQL/MariaDB CDC source.
var Plugin = sdk.Plugin{
	Class: "tributary.sources.mysql",
	Aliases: []string{
		"io.debezium.connector.mysql.MySqlConnector",
		"io.debezium.connector.mariadb.MariaDbConnector",
	},
	Type:      sdk.TypeSource,
	Version:   Version,
	Summary:   "Captures row changes of MySQL or MariaDB from the binlog (after an optional consistent snapshot) as Debezium change events.",
	Config:    &Config{},
	NewSource: func() sdk.Source { return &Source{} },
	// One binlog reader per server: two would emit every change twice.
	Singleton: true,
}
