//! An upload made into what is served: its type read from the bytes, its size from the header before any
//! pixel is decoded, decoded with limits, turned upright, stripped of metadata (location included), a
//! placeholder computed, and a variant made for each configured width narrower than it. CPU work only: the
//! caller runs it on a blocking thread.

use std::borrow::Cow;
use std::io::Cursor;

use bytes::Bytes;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage, RgbaImage};

/// The formats accepted, read from the first bytes of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Format {
    /// The format of these bytes by their signature, or `None` for anything else (SVG, text, HEIC...).
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else if bytes.len() >= 12
            && bytes.starts_with(b"RIFF")
            && bytes.get(8..12) == Some(b"WEBP")
        {
            Some(Format::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The name a variant's `format` shows.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Webp => ImageFormat::WebP,
            Format::Gif => ImageFormat::Gif,
        }
    }
}

/// What an upload may be and which variants it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// `MEDIA_MAX_PIXELS`: the most pixels (width x height, as the header declares them).
    pub max_pixels: u64,
    /// `MEDIA_WIDTHS`: the variant widths, ascending.
    pub widths: Vec<u32>,
}

/// Why an upload is not an image this API takes (the client's fault), or could not be encoded (ours).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the file is not a JPEG, PNG, WebP or GIF image")]
    Unsupported,
    #[error("the image is {width} x {height} pixels, more than MEDIA_MAX_PIXELS ({max})")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the image could not be decoded: {0}")]
    Undecodable(String),
    #[error("a variant could not be encoded: {0}")]
    Encoding(String),
}

/// One file to store: the original or a variant.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    /// `original` or the width.
    pub stem: String,
    pub bytes: Bytes,
}

impl Rendition {
    /// Its file name in the media's folder.
    pub fn file(&self) -> String {
        format!("{}.{}", self.stem, self.format.extension())
    }
}

/// An upload made ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub original: Rendition,
    pub blurhash: String,
    /// Narrowest first; at each width a WebP, then one in the original's format (one only for a WebP).
    pub variants: Vec<Rendition>,
}

const ORIGINAL_QUALITY: u8 = 90;
const VARIANT_QUALITY: u8 = 82;
/// The placeholder is computed from a thumbnail this wide (or high) at most: its few components need no more.
const BLURHASH_SOURCE: u32 = 64;

fn undecodable(error: impl std::fmt::Display) -> Refused {
    Refused::Undecodable(error.to_string())
}

fn encoding(error: impl std::fmt::Display) -> Refused {
    Refused::Encoding(error.to_string())
}

/// The format and declared size of an upload, read from its first bytes and header only.
pub fn inspect(bytes: &[u8], rules: &Rules) -> Result<(Format, u32, u32), Refused> {
    let format = Format::sniff(bytes).ok_or(Refused::Unsupported)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format.image_format())
        .into_dimensions()
        .map_err(undecodable)?;
    if width == 0 || height == 0 {
        return Err(Refused::Undecodable(String::from(
            "the image has no pixels",
        )));
    }
    if u64::from(width) * u64::from(height) > rules.max_pixels {
        return Err(Refused::TooManyPixels {
            width,
            height,
            max: rules.max_pixels,
        });
    }
    Ok((format, width, height))
}

/// Makes an upload into its files. Refuses anything but the four formats, an image over the pixel limit
/// (from the header, before decoding), and a file that does not decode whole.
pub fn process(bytes: Bytes, rules: &Rules) -> Result<Processed, Refused> {
    let (format, width, height) = inspect(&bytes, rules)?;
    if format == Format::Jpeg && !jpeg_is_whole(&bytes) {
        // The JPEG decoder paints what is missing grey rather than fail: a cut upload would be kept.
        return Err(Refused::Undecodable(String::from(
            "the JPEG is cut short (no end-of-image marker after its last scan)",
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes[..]), format.image_format());
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    // Eight bits a channel (converted in place of the decoded buffer, not beside a copy of it).
    let image = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    let (width, height) = (image.width(), image.height());

    // The original keeps its bytes (an animation stays animated) unless it must be turned upright; either
    // way without the metadata that can carry a location.
    let original_bytes = if format == Format::Gif {
        bytes
    } else if orientation == Orientation::NoTransforms {
        match strip_metadata(bytes, format) {
            Some(stripped) => stripped,
            None => encode(&image, format, ORIGINAL_QUALITY)?,
        }
    } else {
        encode(&image, format, ORIGINAL_QUALITY)?
    };
    let original = Rendition {
        width,
        height,
        format,
        stem: String::from("original"),
        bytes: original_bytes,
    };

    let blurhash = placeholder(&image)?;
    let variants = variants_of(image, format, &rules.widths)?;
    Ok(Processed {
        original,
        blurhash,
        variants,
    })
}

/// The variants of `image` at every width narrower than it, narrowest first. Made widest first, each from
/// the one before it (Lanczos3 widens its kernel with the ratio: a cascade of down-scales loses nothing a
/// reader sees), so the full-size image is let go as soon as the widest variant exists: an upload holds at
/// most two decoded sizes at once.
fn variants_of(
    image: DynamicImage,
    format: Format,
    widths: &[u32],
) -> Result<Vec<Rendition>, Refused> {
    let (width, height) = (image.width(), image.height());
    let mut widths: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|wide| *wide < width)
        .collect();
    widths.sort_unstable_by(|a, b| b.cmp(a));
    widths.dedup();
    let mut variants = Vec::new();
    let mut scaler = Resizer::new();
    let mut source = image;
    for wide in widths {
        let high = scaled_height(width, height, wide);
        let mut resized = DynamicImage::new(wide, high, source.color());
        scaler
            .resize(
                &source,
                &mut resized,
                &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
            )
            .map_err(encoding)?;
        let targets: &[Format] = if format == Format::Webp {
            &[Format::Webp]
        } else {
            &[Format::Webp, format]
        };
        for &target in targets {
            variants.push(Rendition {
                width: wide,
                height: high,
                format: target,
                stem: wide.to_string(),
                bytes: encode(&resized, target, VARIANT_QUALITY)?,
            });
        }
        source = resized;
    }
    // Narrowest first; at one width the WebP stays before the other format (a stable sort).
    variants.sort_by_key(|variant| variant.width);
    Ok(variants)
}

/// Whether a JPEG holds its end-of-image marker after its last start-of-scan (an EXIF thumbnail's own
/// markers come before the main image's scans; `FF D9` cannot occur inside entropy-coded data).
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|pair| pair == [0xFF, 0xDA]);
    let end = bytes.windows(2).rposition(|pair| pair == [0xFF, 0xD9]);
    matches!((last_scan, end), (Some(scan), Some(end)) if end > scan)
}

/// The height of a `wide` variant of a `width` x `height` image, at least one pixel.
fn scaled_height(width: u32, height: u32, wide: u32) -> u32 {
    let scaled = (u64::from(height) * u64::from(wide) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled.max(1)).unwrap_or(u32::MAX)
}

/// A blurhash of the image: 4 x 3 components for a landscape image, 3 x 4 for a portrait one.
fn placeholder(image: &DynamicImage) -> Result<String, Refused> {
    let small = image.thumbnail(BLURHASH_SOURCE, BLURHASH_SOURCE).to_rgba8();
    let (x, y) = if small.width() >= small.height() {
        (4, 3)
    } else {
        (3, 4)
    };
    blurhash::encode(x, y, small.width(), small.height(), small.as_raw()).map_err(encoding)
}

/// The image encoded in `format` (`quality` for the lossy ones). A GIF is a still of the first frame.
fn encode(image: &DynamicImage, format: Format, quality: u8) -> Result<Bytes, Refused> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let rgb = rgb8(image);
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
                .encode_image(rgb.as_ref())
                .map_err(encoding)?;
        }
        Format::Png => {
            image
                .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
                .map_err(encoding)?;
        }
        Format::Gif => {
            let frame = image::Frame::new(image.to_rgba8());
            let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 10);
            encoder.encode_frame(frame).map_err(encoding)?;
            drop(encoder);
        }
        Format::Webp => {
            let encoded = if image.color().has_alpha() {
                let rgba = rgba8(image);
                webp::Encoder::from_rgba(rgba.as_raw(), image.width(), image.height())
                    .encode_simple(false, f32::from(quality))
            } else {
                let rgb = rgb8(image);
                webp::Encoder::from_rgb(rgb.as_raw(), image.width(), image.height())
                    .encode_simple(false, f32::from(quality))
            };
            out = encoded
                .map_err(|error| encoding(format!("{error:?}")))?
                .to_vec();
        }
    }
    Ok(Bytes::from(out))
}

/// The image's pixels as 8-bit RGB: borrowed when they are already, converted otherwise.
fn rgb8(image: &DynamicImage) -> Cow<'_, RgbImage> {
    image
        .as_rgb8()
        .map_or_else(|| Cow::Owned(image.to_rgb8()), Cow::Borrowed)
}

/// The image's pixels as 8-bit RGBA: borrowed when they are already, converted otherwise.
fn rgba8(image: &DynamicImage) -> Cow<'_, RgbaImage> {
    image
        .as_rgba8()
        .map_or_else(|| Cow::Owned(image.to_rgba8()), Cow::Borrowed)
}

/// The same image without the segments that carry EXIF (GPS position, camera serial), XMP or IPTC data,
/// the pixels untouched; `None` when the container cannot be parsed (the caller re-encodes instead).
fn strip_metadata(bytes: Bytes, format: Format) -> Option<Bytes> {
    use img_parts::jpeg::{markers, Jpeg};
    use img_parts::png::Png;
    use img_parts::webp::{WebP, CHUNK_XMP};
    use img_parts::ImageEXIF;
    match format {
        Format::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(bytes).ok()?;
            jpeg.segments_mut().retain(|segment| {
                !matches!(
                    segment.marker(),
                    markers::APP1 | markers::APP13 | markers::COM
                )
            });
            Some(jpeg.encoder().bytes())
        }
        Format::Png => {
            let mut png = Png::from_bytes(bytes).ok()?;
            png.chunks_mut()
                .retain(|chunk| !matches!(&chunk.kind(), b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt"));
            Some(png.encoder().bytes())
        }
        Format::Webp => {
            let mut webp = WebP::from_bytes(bytes).ok()?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(CHUNK_XMP);
            Some(webp.encoder().bytes())
        }
        Format::Gif => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_from_the_bytes() {
        assert_eq!(Format::sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"GIF89a...."), Some(Format::Gif));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(Format::sniff(b"<svg xmlns="), None);
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WAVE"), None);
    }

    #[test]
    fn variant_heights_keep_the_aspect_ratio() {
        assert_eq!(scaled_height(1920, 1080, 640), 360);
        assert_eq!(scaled_height(1000, 333, 320), 107);
        assert_eq!(scaled_height(5000, 1, 320), 1);
    }
}
