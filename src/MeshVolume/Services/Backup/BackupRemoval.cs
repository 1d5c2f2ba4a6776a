using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Backup
{
    /// <summary>Deletes the objects of a backup.</summary>
    public static class BackupRemoval
    {
        /// <summary>
        /// Deletes the manifest first and the archive second, so a removal that stops halfway
        /// leaves an archive without a manifest: never a backup that looks good.
        /// </summary>
        public static async Task RemoveAsync(
            IBackupRepository repository, string manifestName, string archiveName,
            CancellationToken cancellationToken)
        {
            if (manifestName != null)
            {
                await repository.DeleteAsync(manifestName, cancellationToken).ConfigureAwait(false);
            }

            if (archiveName != null)
            {
                await repository.DeleteAsync(archiveName, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
