package org.flatminima.experiments.reproduce;

import java.util.List;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Renders the reproduction report's Markdown as one self-contained HTML page (commonmark-java with GitHub-style
 * tables): a title, a small inline style sheet, and images by the same relative paths as in the Markdown, so the
 * page works when it sits beside {@code report.md} and the experiments' directories.
 */
public final class ReportHtml {

    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());

    private static final String CSS = """
            body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
                   line-height: 1.45; color: #222; }
            table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
            th, td { border: 1px solid #bbb; padding: 0.2rem 0.5rem; text-align: right; }
            th { background: #eee; }
            td:first-child, th:first-child { text-align: left; }
            code { background: #f3f3f3; padding: 0 0.2rem; font-size: 0.85rem; word-break: break-all; }
            img { max-width: 100%; border: 1px solid #ddd; }
            h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
            """;

    private ReportHtml() {
    }

    /** The HTML page of {@code markdown}, with {@code title} (plain text; escaped here) as its title. */
    public static String render(String title, String markdown) {
        Parser parser = Parser.builder().extensions(EXTENSIONS).build();
        HtmlRenderer renderer = HtmlRenderer.builder().extensions(EXTENSIONS).escapeHtml(true).build();
        String body = renderer.render(parser.parse(markdown));
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
