using System.Collections.Generic;

namespace MeshVolume.Services.Verification
{
    /// <summary>
    /// The entry attributes that a way of writing and reading a volume keeps, and so can be
    /// compared with a manifest.
    /// </summary>
    public sealed class ComparisonScope
    {
        /// <summary>
        /// Everything the manifest records: the volume's folder, or the archive itself.
        /// </summary>
        public static readonly ComparisonScope Full = new ComparisonScope(true, true, true, null);

        /// <summary>
        /// The engine's archive API (Docker 20.10, checked by reading and writing a volume):
        /// reading returns mtimes truncated to whole seconds and no user extended attributes,
        /// and writing stores sparse files with their holes filled in.
        /// </summary>
        public static readonly ComparisonScope Engine = new ComparisonScope(false, false, false,
            "The scratch volume was written and read through the engine's archive API, which " +
            "returns modification times in whole seconds and no extended attributes, and " +
            "writes sparse files without their holes: mtimes were compared to the second, and " +
            "extended attributes and sparse holes were not compared.");

        private ComparisonScope(bool nanosecondMtimes, bool xattrs, bool sparseHoles, string note)
        {
            NanosecondMtimes = nanosecondMtimes;
            Xattrs = xattrs;
            SparseHoles = sparseHoles;
            Note = note;
        }

        /// <summary>True when mtimes are compared to the nanosecond, else to the second.</summary>
        public bool NanosecondMtimes { get; }

        public bool Xattrs { get; }

        /// <summary>True when a sparse file must come back sparse.</summary>
        public bool SparseHoles { get; }

        /// <summary>What is not compared and why, or null when everything is.</summary>
        public string Note { get; }

        /// <summary>Names of the compared attributes, for the result object.</summary>
        public string[] Describe()
        {
            var names = new List<string>
            {
                "type", "size", "content sha256", "mode", "owner",
                NanosecondMtimes ? "mtime" : "mtime (seconds)", "link target",
            };
            if (Xattrs)
            {
                names.Add("xattrs");
            }

            if (SparseHoles)
            {
                names.Add("sparse holes");
            }

            return names.ToArray();
        }
    }
}
