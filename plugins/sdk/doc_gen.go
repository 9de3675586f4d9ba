package sdk

import "strings"

// RenderMarkdown renders config keys as a markdown table (name, type,
// default, required, description) under a "## title" heading, or with no
// heading when title is empty, for the connector docs. Keys keep their order.
func RenderMarkdown(title string, keys []ConfigKey) string {
	var b strings.Builder
	if title != "" {
		b.WriteString("## " + oneLine(title) + "\n\n")
	}
	b.WriteString("| Name | Type | Default | Required | Description |\n")
	b.WriteString("|------|------|---------|----------|-------------|\n")
	for _, k := range keys {
		def := ""
		if k.DefaultValue != nil {
			def = code(*k.DefaultValue)
		}
		required := "no"
		if k.Required {
			required = "yes"
		}
		desc := k.Documentation
		if len(k.Enum) > 0 {
			values := make([]string, len(k.Enum))
			for i, e := range k.Enum {
				values[i] = code(e)
			}
			desc = strings.TrimSpace(desc + " One of " + strings.Join(values, ", ") + ".")
		}
		row := []string{code(k.Name), k.Type, def, required, desc}
		for i, cell := range row {
			row[i] = tableCell(cell)
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

// code makes s a code span. A fence longer than any run of backticks in s
// keeps them literal; the empty string shows as "" so an empty default is
// visible.
func code(s string) string {
	if s == "" {
		return "`\"\"`"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// tableCell keeps a value inside its cell: a pipe would end it (even in a code
// span, in GitHub's tables) and a newline would end the row.
func tableCell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

var newlines = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func oneLine(s string) string { return strings.TrimSpace(newlines.Replace(s)) }
