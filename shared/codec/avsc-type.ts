// An avsc Type as the codec's own walkers over a schema read it (the length guard, the finite
// check, the feature reader): avsc's typings do not declare these members.
export interface AvscTypeLike {
  typeName: string;
  name?: string;
  fields?: { name: string; type: AvscTypeLike }[];
  valuesType?: AvscTypeLike;
  itemsType?: AvscTypeLike;
  types?: AvscTypeLike[];
  size?: number;
  underlyingType?: AvscTypeLike;
}

