/**
 * Tables of docs/REPRODUCTION.md generated from result files, so the document's numbers are auditable (issue 16,
 * item 8). A table is marked in the document ({@link org.flatminima.experiments.reproduce.doc.DocBlocks}); its id
 * names a {@link org.flatminima.experiments.reproduce.doc.TableRenderer} that reads the CSV and JSON files that
 * {@code flatminima reproduce}, {@code sweep} and {@code rank} write and formats the numbers in code;
 * {@link org.flatminima.experiments.reproduce.doc.DocTables} checks or rewrites the tables, and
 * {@link org.flatminima.experiments.reproduce.doc.DocTablesCommand} is {@code flatminima doc-tables}. The result files
 * of the document's tables are committed under {@code docs/results/}, and a test regenerates every table from them.
 */
package org.flatminima.experiments.reproduce.doc;
