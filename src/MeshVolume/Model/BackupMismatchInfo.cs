namespace MeshVolume.Model
{
    /// <summary>One difference between a backup's manifest and what a test found.</summary>
    public sealed class BackupMismatchInfo
    {
        public BackupMismatchInfo(string path, string difference)
        {
            Path = path;
            Difference = difference;
        }

        /// <summary>
        /// Volume-relative path of the entry, "." for the volume root, or the archive's object
        /// name for a difference of the archive as a whole.
        /// </summary>
        public string Path { get; }

        /// <summary>
        /// What differed, manifest value first, such as "mode 0644 != 0600", "content sha256
        /// differs", "missing" or "unexpected entry".
        /// </summary>
        public string Difference { get; }

        public override string ToString() => $"{Path}: {Difference}";
    }
}
