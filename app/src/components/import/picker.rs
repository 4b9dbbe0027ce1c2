//! The file an admin chooses or drops: its format read from its header row
//! before anything is sent, then sent as a form.
//!
//! The chosen file is a browser object, kept on the browser side only; the
//! server-rendered page has none, and its handlers do nothing there.

use leptos::prelude::*;

use crate::components::live::Live;
use crate::domain::import::format::Format;

/// The file an admin chose, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    pub name: String,
    pub bytes: u64,
    /// The format its header row shows; None while it is being read.
    pub detected: Option<Result<Format, String>>,
}

/// A header row's cells (a header has no quoted commas in any format we read).
pub fn header_cells(first_line: &str) -> Vec<String> {
    first_line.trim_end_matches(['\r', '\n']).split(',').map(|c| c.trim().trim_matches('"').to_string()).collect()
}

/// What the page says of a header row.
pub fn detect(first_line: &str) -> Result<Format, String> {
    Format::detect(&header_cells(first_line)).ok_or_else(|| {
        "its header row is not one GeoLedger reads: see the formats below, or name the format".to_string()
    })
}

/// The file picker: what was chosen, and (in the browser) the file itself.
#[derive(Clone, Copy)]
pub struct Picker {
    chosen: RwSignal<Option<Chosen>>,
    #[cfg(feature = "hydrate")]
    file: StoredValue<Option<web_sys::File>, LocalStorage>,
}

impl Picker {
    pub fn new(chosen: RwSignal<Option<Chosen>>) -> Self {
        Picker {
            chosen,
            #[cfg(feature = "hydrate")]
            file: StoredValue::new_local(None),
        }
    }

    /// A file chosen with the picker.
    pub fn picked(self, e: leptos::ev::Event) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
                self.choose(file);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (e, self.chosen);
    }

    /// A file dropped on the drop zone.
    pub fn dropped(self, e: leptos::ev::DragEvent) {
        #[cfg(feature = "hydrate")]
        if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            self.choose(file);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = e;
    }

    /// Keeps the file, and reads its first line to tell its format.
    #[cfg(feature = "hydrate")]
    fn choose(self, file: web_sys::File) {
        let name = file.name();
        self.chosen.set(Some(Chosen { name: name.clone(), bytes: file.size() as u64, detected: None }));
        self.file.set_value(Some(file.clone()));
        let chosen = self.chosen;
        leptos::task::spawn_local(async move {
            let head = file.slice_with_f64_and_f64(0.0, 65536.0).ok();
            let text = match head {
                Some(blob) => wasm_bindgen_futures::JsFuture::from(blob.text()).await.ok().and_then(|t| t.as_string()),
                None => None,
            };
            let first_line = text.as_deref().unwrap_or_default().trim_start_matches('\u{feff}').lines().next();
            let detected = detect(first_line.unwrap_or_default());
            chosen.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.name == name) {
                    c.detected = Some(detected);
                }
            });
        });
    }

    /// Sends the file as a form; the job it starts is followed live.
    pub fn send(
        self,
        format: String,
        dry_run: bool,
        busy: RwSignal<bool>,
        problem: RwSignal<Option<String>>,
        started: RwSignal<Option<String>>,
        live: Live,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = self.file.get_value() else { return };
            let Ok(form) = web_sys::FormData::new() else { return };
            let dry = if dry_run { "true" } else { "false" };
            let filled = form.append_with_str("format", &format).and_then(|_| form.append_with_str("dry_run", dry));
            if filled.and_then(|_| form.append_with_blob_and_filename("file", &file, &file.name())).is_err() {
                return problem.set(Some("the file could not be put in the form".into()));
            }
            busy.set(true);
            leptos::task::spawn_local(async move {
                match crate::api::start_import(form.into()).await {
                    Ok(job) => {
                        started.set(Some(job.id.clone()));
                        live.imports.update(|j| {
                            j.insert(job.id.clone(), job);
                        });
                        live.version.update(|v| *v += 1);
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (format, dry_run, busy, problem, started, live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_reads_a_format_from_a_first_line() {
        assert_eq!(detect("pincode,city_name,state,area_name,latitude,longitude\r\n"), Ok(Format::Pincodes));
        assert_eq!(detect("\"city_name\",\"state\",\"latitude\",\"longitude\""), Ok(Format::Cities));
        assert!(detect("name,lat,lng").unwrap_err().contains("not one GeoLedger reads"));
    }
}
