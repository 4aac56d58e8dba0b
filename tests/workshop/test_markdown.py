from workshop.markdown import markdown_to_safe_html


def test_markdown_renders_emphasis_lists_and_links():
    html = markdown_to_safe_html("**bold**\n\n- one\n- two\n\n[NIHR](https://www.nihr.ac.uk/)")
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://www.nihr.ac.uk/" rel="noopener noreferrer">NIHR</a>' in html


def test_markdown_drops_script_and_event_handlers():
    html = markdown_to_safe_html(
        'Hello <script>alert("x")</script> <img src=x onerror="alert(1)"> '
        '<a href="javascript:alert(1)">link</a>'
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "<img" not in html


def test_markdown_of_empty_text_is_empty():
    assert markdown_to_safe_html("") == ""
