"""Escaping for each reader of ddbguard's output, one module per kind of reader.

Text that comes from templates, cloud assemblies, parameters files or AWS (logical ids, stack and file
names, construct paths, values quoted in messages, suppression reasons) is untrusted: whatever it holds,
it is shown as the literal text and never drives the reader it is written for.

- terminal: text reports, standard error, GitHub workflow commands; the base of the others, because
  every format can end up printed in a terminal or a CI log;
- markdown: Markdown and HTML renderers (pull-request comments, job summaries, the inventory);
- html: browsers (the html report);
- csv: spreadsheets (the inventory);
- xml: XML parsers (JUnit);
- json: JSON parsers (json, SARIF, GitLab, ASFF, the inventory and baselines).
"""
