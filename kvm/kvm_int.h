/*
 * kvm_int.h - private to kvm/: the connection struct and the helpers that
 * its files share (error formatting, lookups, quiet libxml2 parsing).
 * Nothing outside kvm/ includes this file.
 *
 * Error convention inside kvm/: a failing libvirt call is reported with
 * kvm_lverr(), which appends virGetLastErrorMessage() (libvirt keeps the last
 * error per thread, so this is safe from any worker thread); our own checks
 * use kvm_err().  Messages name the thing first: "web1: disk vda: ...".
 */
#ifndef VMGW_KVM_INT_H
#define VMGW_KVM_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "kvm.h"

#define KVM_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define KVM_XML_MAX		(16u << 20)	/* largest XML document we parse */

struct kvm {
	virConnectPtr	 conn;
	char		*uri;		/* for messages */
	int		 close_cb;	/* close callback registered */
	_Atomic int	 closed;	/* set by the close callback */
	_Atomic int	 close_reason;	/* virConnectCloseReason */
};

/* conn.c */
int	kvm_lib_init(char *err, size_t errlen);	/* once per process */
void	kvm_err(char *err, size_t errlen, const char *fmt, ...) KVM_PRINTF(3, 4);
void	kvm_lverr(char *err, size_t errlen, const char *fmt, ...) KVM_PRINTF(3, 4);
int	kvm_lerr_code(void);			/* virGetLastErrorCode() */
void	kvm_silent_error(void *, virErrorPtr);	/* a virErrorFunc that prints nothing */
virDomainPtr kvm_dom_get(struct kvm *, const char *name, char *err,
	    size_t errlen);			/* "NAME: no such domain: ..." */

/* xml.c: quiet libxml2 helpers (no output on stderr, no network, no entities) */
xmlDocPtr kvm_xml_parse(const char *xml, const char *what, const char *root,
	    char *err, size_t errlen);
/* string value of expr evaluated at node (NULL node: the document); NULL if empty */
char	*kvm_xml_str(xmlXPathContextPtr, xmlNodePtr, const char *expr);
/* nodes matching expr at node; *n set; NULL with *n 0 when none (xmlFree the array) */
xmlNodePtr *kvm_xml_nodes(xmlXPathContextPtr, xmlNodePtr, const char *expr,
	    size_t *n);
/* attribute as a malloc'd string (free()), NULL if absent */
char	*kvm_xml_prop(xmlNodePtr, const char *name);
xmlNodePtr kvm_xml_child(xmlNodePtr, const char *name);
/* 1 when path is absolute, with no empty, "." or ".." component, no trailing / */
int	kvm_path_canonical(const char *path);
/* dirname / basename of a canonical path, malloc'd */
char	*kvm_path_dir(const char *path);
char	*kvm_path_base(const char *path);

/* storage.c */
virStorageVolPtr kvm_vol_get(struct kvm *, const char *path, int *absent,
	    char *err, size_t errlen);

#endif /* VMGW_KVM_INT_H */
