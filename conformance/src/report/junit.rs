//! The JUnit XML report: one `<testsuite>` per group, one `<testcase>` per check, with
//! `<failure>` or `<skipped>` carrying the reason and the spec sentence in `<system-out>`.

use std::fmt::Write as _;

use super::RunInfo;
use crate::groups::group_of;
use crate::suite::{Outcome, Record, Tally};

/// The report as XML text.
pub(super) fn render(info: &RunInfo<'_>, records: &[Record]) -> String {
    let tally = Tally::of(records);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"cairn-conformance {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" \
         time=\"{:.3}\">",
        escape(info.registry),
        records.len(),
        tally.failed,
        tally.skipped,
        info.seconds
    );

    let mut groups: Vec<&str> = records.iter().map(|r| group_of(r.spec.id)).collect();
    groups.dedup();
    for group in groups {
        let members: Vec<&Record> = records
            .iter()
            .filter(|r| group_of(r.spec.id) == group)
            .collect();
        suite(&mut xml, group, &members);
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Appends the `<testsuite>` of one group.
fn suite(xml: &mut String, group: &str, members: &[&Record]) {
    let failures = members
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .count();
    let skipped = members
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skip(_)))
        .count();
    let time: f64 = members.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{group}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" \
         time=\"{time:.3}\">",
        members.len()
    );
    for record in members {
        let _ = write!(
            xml,
            "    <testcase classname=\"cairn-conformance.{group}\" name=\"{}\" time=\"{:.3}\">",
            escape(record.spec.id),
            record.elapsed.as_secs_f64()
        );
        match &record.outcome {
            Outcome::Pass => {}
            Outcome::Fail(why) => {
                let _ = write!(xml, "<failure message=\"{}\"/>", escape(why));
            }
            Outcome::Skip(why) => {
                let _ = write!(xml, "<skipped message=\"{}\"/>", escape(why));
            }
        }
        let _ = writeln!(
            xml,
            "<system-out>{}</system-out></testcase>",
            escape(record.spec.says)
        );
    }
    xml.push_str("  </testsuite>\n");
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::suite::Spec;

    static SAMPLE: Spec = Spec {
        id: "pull.sample",
        says: "a <sample> & \"quote\"",
    };

    #[test]
    fn junit_escapes_and_counts() {
        let records = vec![Record {
            spec: &SAMPLE,
            outcome: Outcome::Fail("answered <404>".to_owned()),
            elapsed: Duration::from_millis(5),
        }];
        let info = RunInfo {
            registry: "http://x",
            prefix: "c/1",
            seconds: 1.0,
        };
        let xml = render(&info, &records);
        assert!(xml.contains("<failure message=\"answered &lt;404&gt;\"/>"));
        assert!(xml.contains("failures=\"1\""));
        assert!(xml.contains("a &lt;sample&gt; &amp; &quot;quote&quot;"));
    }
}
