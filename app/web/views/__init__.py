"""Server-rendered pages (FAB ModelView and BaseView)."""
