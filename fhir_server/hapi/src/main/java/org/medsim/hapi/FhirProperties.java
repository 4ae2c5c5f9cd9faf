package org.medsim.hapi;

import ca.uhn.fhir.jpa.api.config.JpaStorageSettings.ClientIdStrategyEnum;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings.IdStrategyEnum;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The server settings medsim cares about, bound from {@code hapi.fhir.*}.
 *
 * <p>Key names follow the official HAPI starter image ({@code hapi.fhir.expunge_enabled} ...), so
 * the same names work here and as environment variables of the Docker route. Defaults are medsim's
 * needs, not HAPI's: an RL environment must see its own writes immediately (no search-result
 * cache), must be able to delete and purge what an episode wrote (expunge, multiple delete), and
 * loads partial fixtures with client-assigned ids (any client id, no referential integrity on write).
 */
@ConfigurationProperties(prefix = "hapi.fhir")
public class FhirProperties {

	/** Reuse identical search results for this many ms; a negative value disables the cache. */
	private long reuseCachedSearchResultsMillis = -1;
	/** Allow {@code $expunge} (physically remove deleted resources and old versions). */
	private boolean expungeEnabled = true;
	/** Allow {@code DELETE ...?_expunge=true} and {@code $delete-expunge} (batch job). */
	private boolean deleteExpungeEnabled = true;
	/** Allow a conditional DELETE to remove more than one resource. */
	private boolean allowMultipleDelete = true;
	/** Honour {@code _cascade=delete} on DELETE. */
	private boolean allowCascadingDeletes = true;
	/** Accept absolute references to other servers. */
	private boolean allowExternalReferences = true;
	/** Reject writes whose references point at missing resources (off: partial fixtures load). */
	private boolean enforceReferentialIntegrityOnWrite = false;
	/** Reject deletes of resources that others still reference (HAPI's default behaviour). */
	private boolean enforceReferentialIntegrityOnDelete = true;
	/** Which client-assigned ids PUT may create: ANY also allows purely numeric ids. */
	private ClientIdStrategyEnum clientIdStrategy = ClientIdStrategyEnum.ANY;
	/** How the server names POSTed resources; UUID cannot collide with numeric client ids. */
	private IdStrategyEnum serverIdStrategy = IdStrategyEnum.UUID;
	/** Allow {@code :contains} on string search parameters. */
	private boolean allowContainsSearches = true;
	/** Index missing fields so that {@code :missing} works (slows writes). */
	private boolean enableIndexMissingFields = false;
	/** Page size when a search has no {@code _count}. */
	private int defaultPageSize = 20;
	/** Upper bound on {@code _count}. */
	private int maxPageSize = 1000;

	public long getReuseCachedSearchResultsMillis() {
		return reuseCachedSearchResultsMillis;
	}

	public void setReuseCachedSearchResultsMillis(long value) {
		this.reuseCachedSearchResultsMillis = value;
	}

	public boolean isExpungeEnabled() {
		return expungeEnabled;
	}

	public void setExpungeEnabled(boolean value) {
		this.expungeEnabled = value;
	}

	public boolean isDeleteExpungeEnabled() {
		return deleteExpungeEnabled;
	}

	public void setDeleteExpungeEnabled(boolean value) {
		this.deleteExpungeEnabled = value;
	}

	public boolean isAllowMultipleDelete() {
		return allowMultipleDelete;
	}

	public void setAllowMultipleDelete(boolean value) {
		this.allowMultipleDelete = value;
	}

	public boolean isAllowCascadingDeletes() {
		return allowCascadingDeletes;
	}

	public void setAllowCascadingDeletes(boolean value) {
		this.allowCascadingDeletes = value;
	}

	public boolean isAllowExternalReferences() {
		return allowExternalReferences;
	}

	public void setAllowExternalReferences(boolean value) {
		this.allowExternalReferences = value;
	}

	public boolean isEnforceReferentialIntegrityOnWrite() {
		return enforceReferentialIntegrityOnWrite;
	}

	public void setEnforceReferentialIntegrityOnWrite(boolean value) {
		this.enforceReferentialIntegrityOnWrite = value;
	}

	public boolean isEnforceReferentialIntegrityOnDelete() {
		return enforceReferentialIntegrityOnDelete;
	}

	public void setEnforceReferentialIntegrityOnDelete(boolean value) {
		this.enforceReferentialIntegrityOnDelete = value;
	}

	public ClientIdStrategyEnum getClientIdStrategy() {
		return clientIdStrategy;
	}

	public void setClientIdStrategy(ClientIdStrategyEnum value) {
		this.clientIdStrategy = value;
	}

	public IdStrategyEnum getServerIdStrategy() {
		return serverIdStrategy;
	}

	public void setServerIdStrategy(IdStrategyEnum value) {
		this.serverIdStrategy = value;
	}

	public boolean isAllowContainsSearches() {
		return allowContainsSearches;
	}

	public void setAllowContainsSearches(boolean value) {
		this.allowContainsSearches = value;
	}

	public boolean isEnableIndexMissingFields() {
		return enableIndexMissingFields;
	}

	public void setEnableIndexMissingFields(boolean value) {
		this.enableIndexMissingFields = value;
	}

	public int getDefaultPageSize() {
		return defaultPageSize;
	}

	public void setDefaultPageSize(int value) {
		this.defaultPageSize = value;
	}

	public int getMaxPageSize() {
		return maxPageSize;
	}

	public void setMaxPageSize(int value) {
		this.maxPageSize = value;
	}
}
