"""Figures for the widgets: drawn off-screen with matplotlib's Agg canvas, shown as PNG bytes.

No pyplot: a widget's figure is a plain `matplotlib.figure.Figure`, so the notebook's inline
backend never shows it by itself and nothing piles up in pyplot's figure list.

`OverlayFigure` is for figures whose drawing stays put while a few numbers change (the graph
explorer's edge labels): the fixed part is drawn once and kept as a bitmap; an update copies
that bitmap, draws only the changing labels on top, and encodes the PNG.
"""

import io

from matplotlib import font_manager, rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

DPI = 100
PNG_COMPRESSION = 1   # zlib level: 1 encodes several times faster than 6, files ~20% larger


def new_figure(width, height, dpi=DPI):
    """A Figure of width x height inches on its own Agg canvas (no pyplot)."""
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _rgb(canvas):
    """The canvas's pixels as a new RGB Pillow image."""
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                            "raw", "RGBA", 0, 1).convert("RGB")


def encode_png(image):
    """A Pillow image as PNG bytes (fast compression)."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESSION)
    return out.getvalue()


def figure_png(figure):
    """Draw the whole figure and return it as PNG bytes."""
    figure.canvas.draw()
    return encode_png(_rgb(figure.canvas))


def pixel_size(figure):
    """(width, height) of the figure's PNG in pixels."""
    return figure.canvas.get_width_height()


class Label:
    """A text drawn over a figure's kept bitmap: change `.text` and call `OverlayFigure.png()`."""

    __slots__ = ("x", "y", "ax", "color", "size", "bold", "ha", "va", "text", "visible",
                 "mine")

    def __init__(self, ax, x, y, color, size, bold, ha, va):
        self.ax, self.x, self.y = ax, x, y
        self.color, self.size, self.bold, self.ha, self.va = color, size, bold, ha, va
        self.text = ""
        self.visible = True
        self.mine = None     # a label of its own that goes with this one (a student's number)


class OverlayFigure:
    """A figure whose fixed part is drawn once by matplotlib and kept as a bitmap; the labels
    that change (numbers on edges) are drawn over a copy of it on every `png()`.

    The labels are drawn with Pillow, in matplotlib's own font file and size: drawing a short
    number this way takes a tenth of what a matplotlib Text costs, which is what keeps a slider
    on a 20-node graph under 100 ms per update. `label(ax, x, y, ...)` places one in data
    coordinates of `ax`, aligned like matplotlib's ha/va ("left"/"center"/"right",
    "top"/"center"/"bottom").
    """

    def __init__(self, figure):
        self.figure = figure
        self.labels = []
        self.dynamic = []
        self._background = None
        self._fonts = {}

    def add_dynamic(self, artist):
        """An artist that changes (a moving marker, a bar): drawn on top of the kept bitmap by
        matplotlib on every `png()` (after changing its data), before the labels."""
        artist.set_animated(True)
        self.dynamic.append(artist)
        self._background = None
        return artist

    def label(self, ax, x, y, color="black", size=9, bold=False, ha="center", va="center"):
        label = Label(ax, x, y, color, size, bold, ha, va)
        self.labels.append(label)
        return label

    def invalidate(self):
        """Forget the kept bitmap (after changing the fixed part of the figure)."""
        self._background = None

    def _font(self, size, bold):
        key = (size, bold)
        if key not in self._fonts:
            path = font_manager.findfont(font_manager.FontProperties(
                family=rcParams["font.family"], weight="bold" if bold else "normal"))
            self._fonts[key] = ImageFont.truetype(path, size * self.figure.dpi / 72.0)
        return self._fonts[key]

    def png(self):
        canvas = self.figure.canvas
        if self._background is None:
            canvas.draw()
            self._background = (canvas.copy_from_bbox(self.figure.bbox)
                                if self.dynamic else _rgb(canvas))
        if self.dynamic:
            canvas.restore_region(self._background)
            for artist in self.dynamic:
                if artist.get_visible():
                    self.figure.draw_artist(artist)
            image = _rgb(canvas)
        else:
            image = self._background.copy()
        draw = ImageDraw.Draw(image)
        for xy, text, color, font, anchor in self._pieces(image.height):
            draw.text(xy, text, fill=color, font=font, anchor=anchor)
        return encode_png(image)

    def _pieces(self, height):
        """(xy, text, color, font, anchor) for every line of every visible label, in pixels
        from the top left: what `png` draws, and what `label_boxes` measures."""
        for label in self.labels:
            if not (label.visible and label.text):
                continue
            font = self._font(label.size, label.bold)
            x, y = label.ax.transData.transform((label.x, label.y))
            y = height - y
            lines = str(label.text).split("\n")
            step = font.size * 1.2
            if label.va == "bottom":
                y -= step * (len(lines) - 1)
            elif label.va == "center":
                y -= step * (len(lines) - 1) / 2
            anchor = _ANCHORS_X[label.ha] + _ANCHORS_Y[label.va]
            for line in lines:
                yield (x, y), line, label.color, font, anchor
                y += step

    def label_boxes(self):
        """[(text, (x0, y0, x1, y1))]: the pixel box of every line the labels draw (from the
        top left of the PNG), for checking that no two labels overlap."""
        width, height = (int(round(v)) for v in self.figure.bbox.size)
        draw = ImageDraw.Draw(Image.new("RGB", (width, height)))
        return [(text, draw.textbbox(xy, text, font=font, anchor=anchor))
                for xy, text, _, font, anchor in self._pieces(height)]


class WidgetFigure:
    """What every widget's figure is: a Figure of width x height inches (`figure`) shown through
    an OverlayFigure (`overlay`). Subclasses draw into it and add labels."""

    def __init__(self, width, height):
        self.figure = new_figure(width, height)
        self.overlay = OverlayFigure(self.figure)

    def png(self):
        return self.overlay.png()

    def pixel_size(self):
        return pixel_size(self.figure)


_ANCHORS_X = {"left": "l", "center": "m", "right": "r"}
_ANCHORS_Y = {"top": "a", "center": "m", "bottom": "d"}
