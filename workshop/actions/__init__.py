"""The actions people take on the phone and the console, shared by the sockets and the
HTTP form views: validated by a form, carried out by services, answered with one message."""
