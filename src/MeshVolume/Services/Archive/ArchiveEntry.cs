using System.Collections.Generic;

namespace MeshVolume.Services.Archive
{
    /// <summary>Kinds of file system entries a volume archive holds.</summary>
    public enum EntryType
    {
        File,
        Directory,
        Symlink,
        HardLink,
        Fifo,
        CharDevice,
        BlockDevice,
    }

    /// <summary>A data segment of a sparse file: where it starts and how many bytes it has.</summary>
    public readonly struct SparseSegment
    {
        public SparseSegment(long offset, long length)
        {
            Offset = offset;
            Length = length;
        }

        public long Offset { get; }

        public long Length { get; }
    }

    /// <summary>
    /// Metadata of one entry in a volume: what the tar header, the manifest and the restore
    /// all describe. Paths are relative to the volume root, use '/' and never start with '/';
    /// the root itself is ".".
    /// </summary>
    public sealed class ArchiveEntry
    {
        public string Path { get; set; }

        public EntryType Type { get; set; }

        /// <summary>Logical size in bytes of a file's content, holes of a sparse file included.</summary>
        public long Size { get; set; }

        /// <summary>Permission bits with setuid, setgid and sticky (mask 07777).</summary>
        public int Mode { get; set; }

        public int Uid { get; set; }

        public int Gid { get; set; }

        public string UserName { get; set; }

        public string GroupName { get; set; }

        /// <summary>Modification time in nanoseconds since 1970-01-01 UTC.</summary>
        public long MtimeNanoseconds { get; set; }

        /// <summary>Target of a symlink as stored, or the volume-relative path a hard link joins.</summary>
        public string LinkTarget { get; set; }

        public int DeviceMajor { get; set; }

        public int DeviceMinor { get; set; }

        /// <summary>Extended attributes by full name (such as user.comment); null when none.</summary>
        public IDictionary<string, byte[]> Xattrs { get; set; }

        /// <summary>Data segments of a sparse file in offset order; null for a dense file.</summary>
        public IList<SparseSegment> SparseMap { get; set; }
    }
}
