namespace MeshVolume.Model
{
    /// <summary>
    /// A mount of a compose service: an entry of its volumes list (short or long syntax) or
    /// of its tmpfs list.
    /// </summary>
    public sealed class ComposeMountInfo
    {
        /// <summary>Compose project name.</summary>
        public string Project { get; set; }

        public string Service { get; set; }

        /// <summary>volume, bind, tmpfs or npipe.</summary>
        public string Type { get; set; }

        /// <summary>
        /// Volume key for a named volume, absolute host path for a bind mount, null for an
        /// anonymous volume and for tmpfs.
        /// </summary>
        public string Source { get; set; }

        /// <summary>
        /// Docker volume name of a named volume, as in ComposeVolumeInfo.Name; else null.
        /// </summary>
        public string VolumeName { get; set; }

        /// <summary>Path inside the container.</summary>
        public string Target { get; set; }

        public bool ReadOnly { get; set; }

        /// <summary>
        /// True for a volume without a source, which the engine creates with a random name.
        /// </summary>
        public bool Anonymous { get; set; }

        /// <summary>
        /// Bind propagation: private, rprivate, shared, rshared, slave or rslave; null when unset.
        /// </summary>
        public string Propagation { get; set; }

        /// <summary>
        /// SELinux relabelling of a bind mount: z (shared) or Z (private); null when unset.
        /// </summary>
        public string SELinux { get; set; }

        /// <summary>
        /// True when the volume must not be filled with the image's files at that path.
        /// </summary>
        public bool NoCopy { get; set; }

        /// <summary>
        /// tmpfs size in bytes; null when unset or relative to memory (size=50%).
        /// </summary>
        public long? TmpfsSize { get; set; }

        /// <summary>tmpfs file mode in octal digits, such as 1777; null when unset.</summary>
        public string TmpfsMode { get; set; }

        /// <summary>
        /// How the mount is written: short (SOURCE:TARGET:MODE), long (a mapping with type,
        /// source and target) or tmpfs (an entry of the service's tmpfs list).
        /// </summary>
        public string Syntax { get; set; }

        /// <summary>
        /// The entry as written after variable substitution, for short syntax and tmpfs entries.
        /// </summary>
        public string Definition { get; set; }

        /// <summary>Full path of the compose file the entry comes from.</summary>
        public string SourceFile { get; set; }

        public override string ToString()
        {
            return Source == null ? Target : Source + ":" + Target;
        }
    }
}
