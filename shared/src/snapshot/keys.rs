//! Blob key layout. Every key is built here so the layout is written down once:
//!
//! ```text
//! orgs/<org>/snapshots/<snapshot>/manifest                 the sealed manifest (head) of a snapshot
//! orgs/<org>/snapshots/<snapshot>/parts/<category>/<n:06>  a part of a category's entries (format 2)
//! orgs/<org>/segments/<snapshot>/<category>/<seq:08>-<tag> a page of objects, written by that snapshot
//! orgs/<org>/work/<job>/<category>/<seq:08>                a job's scratch document
//! orgs/<org>/restores/<job>/plan/head                      a restore job's plan: its summary
//! orgs/<org>/restores/<job>/plan/<category>/<n:06>         ... and its planned objects, a chunk at a time
//! orgs/<org>/search/base                                   the org's search index, compacted
//! orgs/<org>/search/deltas/<snapshot>                      ... and what each later snapshot added and removed:
//! orgs/<org>/search/delta-parts/<snapshot>/<n:06>          ... its head, then its versions, a part at a time
//! orgs/<org>/expired/<snapshot>                           retention's mark on a snapshot it is deleting
//! orgs/<org>/downloads/<job>/plan                          a download job's plan: its files and filters
//! orgs/<org>/downloads/<job>/pieces/<file:03>/<unit:08>    ... and its rendered pieces, until the file is made
//! exports/<org>/<job>/<file name>                          a finished download on AWS (not sealed: SSE-KMS, expiring)
//! ```
//!
//! `seq` is the page's sequence number. A segment's `tag` is the start of the SHA-256 of its plaintext, so a
//! segment key always names the same bytes: a page written again with the same objects (a retried step)
//! lands on the same key, and two writers of one page with different objects (an overlapping retry that
//! read Okta a moment later) can never overwrite each other's segment. A work document's key is its page's
//! alone; it is written once (see `workflow::backup::work`). Ids are already restricted to key-safe
//! characters; category names must be too (the catalog's are lowercase words and `_`).

use super::hash::ObjectHash;
use crate::ids::{JobId, OrgId, SnapshotId};

pub fn manifest(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("orgs/{org}/snapshots/{snapshot}/manifest")
}

/// Part `n` of a category of a format 2 manifest.
pub fn manifest_part(org: &OrgId, snapshot: &SnapshotId, category: &str, n: usize) -> String {
    debug_assert!(
        is_key_segment(category),
        "category {category:?} is not a valid blob key segment"
    );
    format!("orgs/{org}/snapshots/{snapshot}/parts/{category}/{n:06}")
}

/// Whether `key` is a snapshot blob (a segment, or a manifest's head or part): what S3 Object Lock locks. Work
/// documents, the search index, retention marks and downloads are rewritten or removed by oktavault itself.
pub fn is_snapshot_blob(key: &str) -> bool {
    let mut parts = key.split('/');
    parts.next() == Some("orgs") && parts.next().is_some() && matches!(parts.next(), Some("segments" | "snapshots"))
}

/// Everything stored for one snapshot's manifest (`orgs/<org>/snapshots/<snapshot>/`).
pub fn snapshot_prefix(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("orgs/{org}/snapshots/{snapshot}/")
}

pub fn segment(org: &OrgId, snapshot: &SnapshotId, category: &str, seq: u32, content: &ObjectHash) -> String {
    debug_assert!(
        is_key_segment(category),
        "category {category:?} is not a valid blob key segment"
    );
    let tag: String = content.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("orgs/{org}/segments/{snapshot}/{category}/{seq:08}-{tag}")
}

/// Every segment written by one snapshot (`orgs/<org>/segments/<snapshot>/`).
pub fn segments_prefix(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("orgs/{org}/segments/{snapshot}/")
}

pub fn work(org: &OrgId, job: &JobId, category: &str, seq: u32) -> String {
    debug_assert!(
        is_key_segment(category),
        "category {category:?} is not a valid blob key segment"
    );
    format!("orgs/{org}/work/{job}/{category}/{seq:08}")
}

/// Every work document of one job, to list or delete them when the job ends.
pub fn work_prefix(org: &OrgId, job: &JobId) -> String {
    format!("orgs/{org}/work/{job}/")
}

/// The summary of restore job `job`'s plan (`org` is the org restored into).
pub fn restore_plan_head(org: &OrgId, job: &JobId) -> String {
    format!("orgs/{org}/restores/{job}/plan/head")
}

/// The plan of download job `job` (`org` is the org whose snapshot it reads).
pub fn download_plan(org: &OrgId, job: &JobId) -> String {
    format!("orgs/{org}/downloads/{job}/plan")
}

/// Piece `unit` of file `file` of a download job: the rendered rows of a bounded run of objects.
pub fn download_piece(org: &OrgId, job: &JobId, file: usize, unit: usize) -> String {
    format!("orgs/{org}/downloads/{job}/pieces/{file:03}/{unit:08}")
}

/// Everything a download job stages (`orgs/<org>/downloads/<job>/`), deleted when the job ends.
pub fn download_prefix(org: &OrgId, job: &JobId) -> String {
    format!("orgs/{org}/downloads/{job}/")
}

/// Where a finished download is put on AWS: under `exports/`, which the bucket's lifecycle rule expires.
pub fn export(org: &OrgId, job: &JobId, file_name: &str) -> String {
    format!("exports/{org}/{job}/{file_name}")
}

/// Where a download of several objects (the JSON Lines tables) is put on AWS: the objects under this prefix.
pub fn export_prefix(org: &OrgId, job: &JobId) -> String {
    format!("exports/{org}/{job}")
}

/// Chunk `n` of a restore plan's objects of `category`.
pub fn restore_plan_chunk(org: &OrgId, job: &JobId, category: &str, n: usize) -> String {
    debug_assert!(
        is_key_segment(category),
        "category {category:?} is not a valid blob key segment"
    );
    format!("orgs/{org}/restores/{job}/plan/{category}/{n:06}")
}

/// Everything stored for one restore job.
pub fn restore_prefix(org: &OrgId, job: &JobId) -> String {
    format!("orgs/{org}/restores/{job}/")
}

/// The compacted base of `org`'s search index (see `crate::search`).
pub fn search_base(org: &OrgId) -> String {
    format!("orgs/{org}/search/base")
}

/// The search index delta of `snapshot`: the versions it holds that the snapshot before it did not, and back.
pub fn search_delta(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("{}{snapshot}", search_deltas_prefix(org))
}

/// Every search index delta of `org` (their heads: one blob a snapshot).
pub fn search_deltas_prefix(org: &OrgId) -> String {
    format!("orgs/{org}/search/deltas/")
}

/// Part `n` of the search index delta of `snapshot` (format 2).
pub fn search_delta_part(org: &OrgId, snapshot: &SnapshotId, n: u32) -> String {
    format!("{}{n:06}", search_delta_parts_prefix(org, snapshot))
}

/// The parts of the search index delta of `snapshot`.
pub fn search_delta_parts_prefix(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("{}{snapshot}/", search_all_delta_parts_prefix(org))
}

/// The parts of every search index delta of `org`.
pub fn search_all_delta_parts_prefix(org: &OrgId) -> String {
    format!("orgs/{org}/search/delta-parts/")
}

/// Everything stored for one org (`orgs/<org>/`): what retention deletes once an org that is no longer backed up
/// has no snapshot left.
pub fn org_prefix(org: &OrgId) -> String {
    format!("orgs/{org}/")
}

/// Retention's mark on `snapshot` while it is deleted: written before the snapshot's catalog record goes and
/// removed after its last blob, so a sweep that stopped half way finds what it has to finish.
pub fn expired(org: &OrgId, snapshot: &SnapshotId) -> String {
    format!("{}{snapshot}", expired_prefix(org))
}

/// Every retention mark of `org`.
pub fn expired_prefix(org: &OrgId) -> String {
    format!("orgs/{org}/expired/")
}

/// One segment of a blob key: the port's key rule, without `/`.
fn is_key_segment(s: &str) -> bool {
    !s.contains('/') && crate::ports::validate_key(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(key: &str) -> bool {
        crate::ports::validate_key(key).is_ok()
    }

    #[test]
    fn only_segments_and_manifests_are_snapshot_blobs() {
        let org = OrgId::new("acme.okta.com").unwrap();
        let snap = SnapshotId::new("20261123T115000Z-3f9a").unwrap();
        let job = JobId::new("job-1").unwrap();
        for locked in [
            manifest(&org, &snap),
            manifest_part(&org, &snap, "users", 0),
            segment(&org, &snap, "users", 7, &ObjectHash([0xab; 32])),
        ] {
            assert!(is_snapshot_blob(&locked), "{locked}");
        }
        for unlocked in [
            work(&org, &job, "users", 0),
            restore_plan_head(&org, &job),
            download_piece(&org, &job, 0, 0),
            search_base(&org),
            search_delta(&org, &snap),
            search_delta_part(&org, &snap, 0),
            expired(&org, &snap),
            "orgs".to_owned(),
            "exports/acme.okta.com/job-1/users.json".to_owned(),
        ] {
            assert!(!is_snapshot_blob(&unlocked), "{unlocked}");
        }
    }

    #[test]
    fn keys_follow_the_documented_layout_and_are_valid_blob_keys() {
        let org = OrgId::new("acme.okta.com").unwrap();
        let snap = SnapshotId::new("20261123T115000Z-3f9a").unwrap();
        let job = JobId::new("job-1").unwrap();
        let keys = [
            (
                manifest(&org, &snap),
                "orgs/acme.okta.com/snapshots/20261123T115000Z-3f9a/manifest",
            ),
            (
                segment(&org, &snap, "users", 7, &ObjectHash([0xab; 32])),
                "orgs/acme.okta.com/segments/20261123T115000Z-3f9a/users/00000007-abababababababab",
            ),
            (
                work(&org, &job, "group_members", 12),
                "orgs/acme.okta.com/work/job-1/group_members/00000012",
            ),
        ];
        for (got, want) in keys {
            assert_eq!(got, want);
            assert!(valid(&got), "{got}");
        }
        assert!(work(&org, &job, "users", 0).starts_with(&work_prefix(&org, &job)));
        assert_eq!(
            restore_plan_chunk(&org, &job, "users", 3),
            "orgs/acme.okta.com/restores/job-1/plan/users/000003"
        );
        assert!(restore_plan_head(&org, &job).starts_with(&restore_prefix(&org, &job)));
        assert!(segment(&org, &snap, "users", 0, &ObjectHash([0; 32])).starts_with(&segments_prefix(&org, &snap)));
        assert!(manifest(&org, &snap).starts_with(&snapshot_prefix(&org, &snap)));
        assert_eq!(search_base(&org), "orgs/acme.okta.com/search/base");
        assert_eq!(
            search_delta(&org, &snap),
            "orgs/acme.okta.com/search/deltas/20261123T115000Z-3f9a"
        );
        assert!(search_delta(&org, &snap).starts_with(&search_deltas_prefix(&org)));
        assert_eq!(
            search_delta_part(&org, &snap, 3),
            "orgs/acme.okta.com/search/delta-parts/20261123T115000Z-3f9a/000003"
        );
        // A part is never listed as a delta head.
        assert!(!search_delta_part(&org, &snap, 0).starts_with(&search_deltas_prefix(&org)));
        assert!(search_delta_part(&org, &snap, 0).starts_with(&search_all_delta_parts_prefix(&org)));
        assert!(valid(&search_delta_part(&org, &snap, 0)));
        assert!(valid(&search_base(&org)) && valid(&search_delta(&org, &snap)));
        assert_eq!(expired(&org, &snap), "orgs/acme.okta.com/expired/20261123T115000Z-3f9a");
        assert!(expired(&org, &snap).starts_with(&expired_prefix(&org)) && valid(&expired(&org, &snap)));
        for key in [
            manifest(&org, &snap),
            expired(&org, &snap),
            search_base(&org),
            work(&org, &job, "users", 0),
        ] {
            assert!(key.starts_with(&org_prefix(&org)), "{key}");
        }
    }
}
