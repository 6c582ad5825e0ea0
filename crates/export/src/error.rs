//! The export error.

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the file failed (disk full, no permission, …).
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("could not write the CSV export: {0}")]
    Csv(#[from] csv::Error),
    /// The Excel writer failed.
    #[error("could not write the Excel export: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A sheet to import could not be read (not a workbook, no header, …).
    #[error("{0}")]
    Import(String),
    /// The picture could not be encoded.
    #[error("could not draw the statistics picture: {0}")]
    Image(#[from] image::ImageError),
}
