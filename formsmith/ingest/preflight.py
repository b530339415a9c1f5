"""Stage 1, preflight: what each input is (by its bytes, not its name), whether it can be read, its SHA-256."""
from __future__ import annotations

import warnings
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageFile

from ..files import sha256_file
from .model import IngestJob, SourceFile

MAX_FILE_BYTES = 512 * 1024 * 1024      # a 500-page 300 dpi colour scan stays well below this
MAX_PAGES = 2000
MAX_IMAGE_PIXELS = 120_000_000          # an A3 page at 600 dpi is 70 MP; beyond is a bomb
MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def sniff(head: bytes) -> str:
    """The file type its first bytes announce ('' when none of ours). PDF may follow junk."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return "pdf" if b"%PDF-" in head[:1024] else ""


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the files inside folders named (recursively, hidden ones skipped), sorted."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def inspect(path: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceFile:
    """One input checked: type, size, hash, page count, or the reason it is refused."""
    src = SourceFile(path=Path(path))
    try:
        src.size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        src.refused = "文件不存在"
        return src
    except OSError as exc:
        src.refused = f"无法读取：{exc.strerror or exc}"
        return src
    if src.size == 0:
        src.refused = "空文件"
        return src
    if src.size > max_bytes:
        src.refused = f"文件过大（{src.size // (1 << 20)} MB，上限 {max_bytes // (1 << 20)} MB）"
        return src
    src.kind = sniff(head)
    if not src.kind:
        src.refused = "不是PDF或图片（JPEG/PNG/TIFF）文件（按内容识别，与扩展名无关）"
        return src
    src.sha256 = sha256_file(path)
    src.pages, src.refused = (_pdf_pages if src.kind == "pdf" else _image_frames)(path)
    if not src.refused and src.pages > MAX_PAGES:
        src.refused = f"页数过多（{src.pages} 页，上限 {MAX_PAGES} 页）"
    return src


def _pdf_pages(path: Path) -> tuple[int, str]:
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return 0, "PDF已加密（需要密码），请导出未加密的扫描件"
        return 0, f"PDF已损坏，无法打开（{exc}）"
    try:
        n = len(pdf)
        if not n:
            return 0, "PDF没有页面"
        from .rasterize import RETRY_DPI
        for i in range(min(n, MAX_PAGES)):
            # a page is rendered at up to RETRY_DPI: a 5-metre "page" would be gigabytes of pixels
            w, h = pdf.get_page_size(i)
            if w * h * (RETRY_DPI / 72) ** 2 > MAX_IMAGE_PIXELS:
                return n, (f"第{i + 1}页尺寸过大（{w * 25.4 / 72:.0f}×{h * 25.4 / 72:.0f} 毫米），"
                           "不是扫描的文书页面")
        return n, ""
    finally:
        pdf.close()


def open_image(path: Path) -> Image.Image:
    """Pillow's image with the decompression-bomb limit applied as an error, not a warning."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(path)


def _image_frames(path: Path) -> tuple[int, str]:
    # WeasyPrint, once imported in this process, sets Pillow's LOAD_TRUNCATED_IMAGES for good:
    # a scan cut short would then read as grey and be filed. Here a truncated file is refused.
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        return _read_frames(path)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _read_frames(path: Path) -> tuple[int, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image(path) as im:
                n = getattr(im, "n_frames", 1)
                im.seek(n - 1)
                im.load()           # reading the last frame finds truncated files too
        return n, ""
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return 0, f"图片像素过多（超过 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素），疑似恶意文件"
    except (OSError, SyntaxError, ValueError) as exc:
        return 0, f"图片已损坏，无法读取（{exc}）"


def run(job: IngestJob) -> IngestJob:
    """Inspect every input; refused ones stay in the job with their reason and are skipped later."""
    seen: dict[Path, SourceFile] = {}
    for path in expand(job.paths):
        key = Path(path).resolve()
        if key in seen:
            continue
        seen[key] = inspect(Path(path))
        job.sources.append(seen[key])
    return job
