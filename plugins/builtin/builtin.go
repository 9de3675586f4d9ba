// Package builtin lists the connectors compiled into the tributary binary.
// External plugins (go-plugin processes) are discovered at run time instead.
package builtin

import (
	"github.com/tributarydata/tributary/plugins/sdk"
	backupsink "github.com/tributarydata/tributary/sinks/backup"
	essink "github.com/tributarydata/tributary/sinks/elasticsearch"
	filesink "github.com/tributarydata/tributary/sinks/file"
	hbasesink "github.com/tributarydata/tributary/sinks/hbase"
	hologressink "github.com/tributarydata/tributary/sinks/hologres"
	rdssink "github.com/tributarydata/tributary/sinks/rds"
	applogsource "github.com/tributarydata/tributary/sources/applog"
	datagensource "github.com/tributarydata/tributary/sources/datagen"
	filesource "github.com/tributarydata/tributary/sources/file"
	mysqlsource "github.com/tributarydata/tributary/sources/mysql"
	weblogsource "github.com/tributarydata/tributary/sources/weblog"
	"github.com/tributarydata/tributary/transforms/aggregate"
	"github.com/tributarydata/tributary/transforms/fanout"
	"github.com/tributarydata/tributary/transforms/intervaljoin"
	"github.com/tributarydata/tributary/transforms/join"
	"github.com/tributarydata/tributary/transforms/latest"
	"github.com/tributarydata/tributary/transforms/smt"
	"github.com/tributarydata/tributary/transforms/window"
)

// Plugins returns every built-in plugin.
func Plugins() []sdk.Plugin {
	return []sdk.Plugin{
		filesource.Plugin,
		filesink.Plugin,
		backupsink.Plugin,
		hologressink.Plugin,
		rdssink.Plugin,
		hbasesink.Plugin,
		essink.Plugin,
		datagensource.Plugin,
		mysqlsource.Plugin,
		weblogsource.Plugin,
		applogsource.Plugin,
		smt.Plugin,
		fanout.Plugin,
		window.Plugin,
		latest.Plugin,
		aggregate.Plugin,
		join.Plugin,
		intervaljoin.Plugin,
	}
}
