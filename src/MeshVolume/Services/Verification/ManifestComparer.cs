using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MeshVolume.Model;

namespace MeshVolume.Services.Verification
{
    /// <summary>
    /// Compares the entries found in a restored volume or in an archive, one at a time, with
    /// a backup's manifest, and lists every difference.
    /// </summary>
    /// <remarks>
    /// Hard links are compared as groups, because another walk order can store the content
    /// under another path of the group. So a path must be a regular file in both, share the
    /// content of its group, and be linked to the same paths.
    /// </remarks>
    public sealed class ManifestComparer
    {
        private const string FileKind = "file";
        private const string HardLinkType = "hardlink";

        private readonly ComparisonScope _scope;
        private readonly Dictionary<string, ManifestEntry> _expected;
        private readonly List<ManifestEntry> _expectedOrder;
        private readonly Dictionary<string, ManifestEntry> _actualFiles =
            new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<string> _deferredContent = new List<string>();
        private readonly List<BackupMismatchInfo> _mismatches = new List<BackupMismatchInfo>();

        public ManifestComparer(BackupManifest manifest, ComparisonScope scope)
        {
            _scope = scope;
            _expectedOrder = manifest.Entries ?? new List<ManifestEntry>();
            _expected = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
            foreach (ManifestEntry entry in _expectedOrder)
            {
                _expected[entry.Path] = entry;
            }
        }

        /// <summary>Manifest entries found and compared so far.</summary>
        public long EntriesChecked => _seen.Count;

        /// <summary>Compares one entry that was found. Call it once per path.</summary>
        public void Add(ManifestEntry actual)
        {
            if (IsFileKind(actual.Type))
            {
                _actualFiles[actual.Path] = actual;
            }

            if (!_expected.TryGetValue(actual.Path, out ManifestEntry expected))
            {
                Report(actual.Path, "unexpected entry");
                return;
            }

            if (!_seen.Add(actual.Path))
            {
                Report(actual.Path, "listed twice");
                return;
            }

            CompareEntry(expected, actual);
        }

        /// <summary>
        /// Finishes the comparison and returns the differences, sorted by path. With complete
        /// false, as after a damaged archive, entries never reached are not reported missing.
        /// </summary>
        public IReadOnlyList<BackupMismatchInfo> Finish(bool complete = true)
        {
            foreach (string path in _deferredContent)
            {
                CompareContent(path, ResolveExpected(path), ResolveActual(path));
            }

            CompareLinkGroups();
            if (complete)
            {
                foreach (ManifestEntry entry in _expectedOrder)
                {
                    if (!_seen.Contains(entry.Path))
                    {
                        Report(entry.Path, "missing");
                    }
                }
            }

            return _mismatches.OrderBy(m => m.Path, StringComparer.Ordinal).ToList();
        }

        private void CompareEntry(ManifestEntry expected, ManifestEntry actual)
        {
            string path = expected.Path;
            if (Kind(expected.Type) != Kind(actual.Type))
            {
                Report(path, $"type {expected.Type} != {actual.Type}");
                return;
            }

            if (IsFileKind(expected.Type))
            {
                // A hard link's content is its group's: compare once every path is known.
                if (expected.Type == HardLinkType || actual.Type == HardLinkType)
                {
                    _deferredContent.Add(path);
                }
                else
                {
                    CompareContent(path, expected, actual);
                }
            }

            if (!string.Equals(expected.Mode, actual.Mode, StringComparison.Ordinal))
            {
                Report(path, $"mode {expected.Mode} != {actual.Mode}");
            }

            if (expected.Uid != actual.Uid || expected.Gid != actual.Gid)
            {
                Report(path, $"owner {Owner(expected)} != {Owner(actual)}");
            }

            CompareMtime(expected, actual);
            if (expected.Type == "symlink" &&
                !string.Equals(expected.LinkTarget, actual.LinkTarget, StringComparison.Ordinal))
            {
                Report(path, $"link target '{expected.LinkTarget}' != '{actual.LinkTarget}'");
            }

            if (_scope.Xattrs)
            {
                CompareXattrs(path, expected.Xattrs, actual.Xattrs);
            }
        }

        private void CompareContent(string path, ManifestEntry expected, ManifestEntry actual)
        {
            if (expected == null || actual == null)
            {
                // The link's target is itself missing or of another type, reported there.
                return;
            }

            if (expected.Size != actual.Size)
            {
                Report(path, $"size {expected.Size} != {actual.Size}");
            }
            else if (!string.Equals(expected.Sha256, actual.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                Report(path, "content sha256 differs");
            }

            if (_scope.SparseHoles && expected.Sparse && !actual.Sparse)
            {
                Report(path, "sparse file restored without its holes");
            }
        }

        private void CompareMtime(ManifestEntry expected, ManifestEntry actual)
        {
            long left = expected.MtimeNanoseconds;
            long right = actual.MtimeNanoseconds;
            if (!_scope.NanosecondMtimes)
            {
                left = FloorSeconds(left);
                right = FloorSeconds(right);
            }

            if (left != right)
            {
                Report(expected.Path, $"mtime {FormatTime(left)} != {FormatTime(right)}");
            }
        }

        private void CompareXattrs(
            string path, Dictionary<string, string> expected, Dictionary<string, string> actual)
        {
            expected = expected ?? new Dictionary<string, string>();
            actual = actual ?? new Dictionary<string, string>();
            var sorted = expected.OrderBy(p => p.Key, StringComparer.Ordinal);
            foreach (KeyValuePair<string, string> pair in sorted)
            {
                if (!actual.TryGetValue(pair.Key, out string value))
                {
                    Report(path, $"xattr {pair.Key} missing");
                }
                else if (!string.Equals(pair.Value, value, StringComparison.Ordinal))
                {
                    Report(path, $"xattr {pair.Key} differs");
                }
            }

            foreach (string name in actual.Keys.Where(k => !expected.ContainsKey(k))
                .OrderBy(k => k, StringComparer.Ordinal))
            {
                Report(path, $"unexpected xattr {name}");
            }
        }

        // Each path that is a hard link on either side must share its group with the same
        // paths on the other side.
        private void CompareLinkGroups()
        {
            foreach (ManifestEntry expected in _expectedOrder.Where(e => e.Type == HardLinkType))
            {
                string path = expected.Path;
                ManifestEntry actual = ResolveActual(path);
                ManifestEntry target = ResolveActual(expected.LinkTarget);
                if (_seen.Contains(path) && actual != null && target != null &&
                    !ReferenceEquals(actual, target))
                {
                    Report(path, $"not hard-linked to '{expected.LinkTarget}'");
                }
            }

            foreach (ManifestEntry actual in _actualFiles.Values.Where(e => e.Type == HardLinkType))
            {
                ManifestEntry expected = ResolveExpected(actual.Path);
                ManifestEntry target = ResolveExpected(actual.LinkTarget);
                if (expected != null && target != null && !ReferenceEquals(expected, target))
                {
                    Report(actual.Path, $"unexpected hard link to '{actual.LinkTarget}'");
                }
            }
        }

        /// <summary>
        /// Returns the manifest entry that stores the content of a path's hard link group.
        /// </summary>
        private ManifestEntry ResolveExpected(string path)
        {
            return Resolve(_expected, path);
        }

        private ManifestEntry ResolveActual(string path)
        {
            return Resolve(_actualFiles, path);
        }

        private static ManifestEntry Resolve(Dictionary<string, ManifestEntry> entries, string path)
        {
            // The bound stops a cycle of links, which only a damaged listing can have.
            for (int hops = 0; path != null && hops < 64; hops++)
            {
                if (!entries.TryGetValue(path, out ManifestEntry entry) || !IsFileKind(entry.Type))
                {
                    return null;
                }

                if (entry.Type != HardLinkType)
                {
                    return entry;
                }

                path = entry.LinkTarget;
            }

            return null;
        }

        private void Report(string path, string difference)
        {
            _mismatches.Add(new BackupMismatchInfo(path, difference));
        }

        private static bool IsFileKind(string type) => type == FileKind || type == HardLinkType;

        private static string Kind(string type) => type == HardLinkType ? FileKind : type;

        private static string Owner(ManifestEntry entry) =>
            $"{unchecked((uint)entry.Uid)}:{unchecked((uint)entry.Gid)}";

        private static long FloorSeconds(long nanoseconds)
        {
            long seconds = nanoseconds / 1_000_000_000L;
            if (nanoseconds < 0 && seconds * 1_000_000_000L != nanoseconds)
            {
                seconds--;
            }

            return seconds * 1_000_000_000L;
        }

        /// <summary>
        /// Formats nanoseconds since 1970 as UTC ISO 8601 with nine fraction digits.
        /// </summary>
        private static string FormatTime(long nanoseconds)
        {
            long seconds = FloorSeconds(nanoseconds) / 1_000_000_000L;
            long fraction = nanoseconds - seconds * 1_000_000_000L;
            try
            {
                DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds(seconds);
                string whole = time.UtcDateTime.ToString(
                    "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
                return whole +
                    "." + fraction.ToString("D9", CultureInfo.InvariantCulture) + "Z";
            }
            catch (ArgumentOutOfRangeException)
            {
                return nanoseconds.ToString(CultureInfo.InvariantCulture) + " ns";
            }
        }
    }
}
